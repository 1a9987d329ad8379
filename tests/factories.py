"""factory_boy factories for the domain. Board objects made here skip the op log; tests of
behaviour that needs the log go through the services."""

import factory
from django.contrib.auth import get_user_model

from streams.models import Activity, Countermeasure, Link, Note, ValueStream, Vote, Waste
from workshops.models import Invitation, Membership, Role, Workshop

PASSWORD = "pw-secret-123"  # every UserFactory user signs in with it


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    password = factory.django.Password(PASSWORD)


class WorkshopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workshop

    title = factory.Sequence(lambda n: f"Workshop {n}")
    goal = "Shorten lead time"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    workshop = factory.SubFactory(WorkshopFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.PARTICIPANT


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    workshop = factory.SubFactory(WorkshopFactory)
    role = Role.PARTICIPANT


class StreamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ValueStream

    workshop = factory.SubFactory(WorkshopFactory)
    name = factory.Sequence(lambda n: f"Stream {n}")


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    stream = factory.SubFactory(StreamFactory)
    title = factory.Sequence(lambda n: f"Step {n}")
    order = factory.Sequence(lambda n: n)
    process_time = 3600
    wait_time = 7200


class LinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Link

    stream = factory.SubFactory(StreamFactory)
    source = factory.SubFactory(ActivityFactory, stream=factory.SelfAttribute("..stream"))
    target = factory.SubFactory(ActivityFactory, stream=factory.SelfAttribute("..stream"))


class WasteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Waste

    stream = factory.SubFactory(StreamFactory)
    text = factory.Sequence(lambda n: f"Waste {n}")
    category = "waiting"


class VoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vote

    waste = factory.SubFactory(WasteFactory)
    stream = factory.SelfAttribute("waste.stream")
    member = factory.SubFactory(
        MembershipFactory, workshop=factory.SelfAttribute("..waste.stream.workshop")
    )


class CountermeasureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Countermeasure

    waste = factory.SubFactory(WasteFactory)
    stream = factory.SelfAttribute("waste.stream")
    title = factory.Sequence(lambda n: f"Countermeasure {n}")


class NoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Note

    stream = factory.SubFactory(StreamFactory)
    text = factory.Sequence(lambda n: f"Note {n}")
