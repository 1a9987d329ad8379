"""Shapes of value streams and board objects in the API, generated from the payload specs."""

from rest_framework import serializers

from streams.kinds import KINDS, Kind
from streams.services.streams import STREAM_SPEC
from vsm_site.api import spec_serializer


def _read_only(kind: Kind) -> dict[str, serializers.Field]:
    fields: dict[str, serializers.Field] = {}
    for name in kind.output:
        if name not in kind.spec:
            fields[name] = serializers.IntegerField(read_only=True)
    if kind.updatable and "version" in kind.output:
        fields["version"] = serializers.IntegerField(
            required=False,
            min_value=1,
            help_text="Grows by one with every change. In a PATCH (optional): the version your "
            "change was made against; if someone else has since changed a field you send to "
            "another value, nothing is changed and the answer is 409 with the object as it is "
            "now. Without it the last writer wins.",
        )
    return fields


ConflictSerializer = type(
    "Conflict",
    (serializers.Serializer,),
    {
        "reason": serializers.CharField(help_text="`conflict` (the error envelope's reason)."),
        "detail": serializers.CharField(help_text="What changed meanwhile, in words."),
        "fields": serializers.ListField(
            child=serializers.CharField(), help_text="The fields someone else changed since."
        ),
        "current": serializers.DictField(help_text="The object as it is now (its kind's shape)."),
        "by": serializers.DictField(
            allow_null=True, help_text="Who changed them last: {id, name}, or null."
        ),
    },
)


KIND_SERIALIZERS = {
    name: spec_serializer(name.title().replace("_", ""), kind.spec, _read_only(kind))
    for name, kind in KINDS.items()
}

STREAM_OUTPUT: dict[str, serializers.Field] = {
    "id": serializers.IntegerField(read_only=True),
    "seq": serializers.IntegerField(read_only=True),
    "board_url": serializers.CharField(read_only=True),
    "summary_url": serializers.CharField(read_only=True),
}
StreamSerializer = spec_serializer("ValueStream", STREAM_SPEC, STREAM_OUTPUT)
# A stream stays in its workshop: PATCH takes no `workshop` (one equal to the stream's own, as
# a client echoing the whole object sends, is accepted; another is a 400).
StreamUpdateSerializer = spec_serializer(
    "ValueStreamUpdate", {name: rule for name, rule in STREAM_SPEC.items() if name != "workshop"}
)


class StreamCloneSerializer(serializers.Serializer):
    name = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="Missing or empty: the source's name with the state, e.g. 'Release (future)'.",
    )
    state = serializers.ChoiceField(choices=["current", "future"], default="future")


BacklogStepSerializer = spec_serializer(
    "BacklogStep",
    KINDS["countermeasure"].spec,
    {
        **_read_only(KINDS["countermeasure"]),
        "waste_text": serializers.CharField(read_only=True),
        "size": serializers.IntegerField(
            read_only=True, help_text="effort + difficulty, plus 2 for a broad change"
        ),
        "waste_votes": serializers.IntegerField(
            read_only=True, allow_null=True, help_text="Its waste's dots; null until revealed."
        ),
        "rank": serializers.IntegerField(read_only=True, help_text="1 is the first baby step."),
    },
)


class RankedWasteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    category = serializers.CharField()
    votes = serializers.IntegerField()


class WasteRankingSerializer(serializers.Serializer):
    revealed = serializers.BooleanField()
    cast = serializers.IntegerField(help_text="Dots cast in all.")
    ranking = RankedWasteSerializer(
        many=True, allow_null=True, help_text="Most dots first; null until revealed."
    )
    award = serializers.ListField(
        child=serializers.IntegerField(),
        allow_null=True,
        help_text="The 'most annoying waste': the ids tied at the top; null until revealed.",
    )


SnapshotSerializer = type(
    "BoardSnapshot",
    (serializers.Serializer,),
    {
        "seq": serializers.IntegerField(),
        "stream": StreamSerializer(),
        **{kind.plural: KIND_SERIALIZERS[name](many=True) for name, kind in KINDS.items()},
    },
)
