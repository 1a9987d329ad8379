from django.apps import AppConfig


class StreamsConfig(AppConfig):
    name = "streams"
    verbose_name = "Value streams"

    def ready(self) -> None:
        from streams.services.streams import workshop_update_announce
        from workshops import extensions

        extensions.workshop_change_listen(workshop_update_announce)
