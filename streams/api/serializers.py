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
    return fields


KIND_SERIALIZERS = {
    name: spec_serializer(name.title().replace("_", ""), kind.spec, _read_only(kind))
    for name, kind in KINDS.items()
}

StreamSerializer = spec_serializer(
    "ValueStream",
    STREAM_SPEC,
    {
        "id": serializers.IntegerField(read_only=True),
        "seq": serializers.IntegerField(read_only=True),
        "board_url": serializers.CharField(read_only=True),
        "summary_url": serializers.CharField(read_only=True),
    },
)


class StreamCloneSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    state = serializers.ChoiceField(choices=["current", "future"], default="future")


SnapshotSerializer = type(
    "BoardSnapshot",
    (serializers.Serializer,),
    {
        "seq": serializers.IntegerField(),
        "stream": StreamSerializer(),
        **{kind.plural: KIND_SERIALIZERS[name](many=True) for name, kind in KINDS.items()},
    },
)
