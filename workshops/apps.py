from django.apps import AppConfig


class WorkshopsConfig(AppConfig):
    name = "workshops"
    verbose_name = "Workshops"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from workshops.events import sockets_close_on_sign_out

        # Signing out closes the live sockets opened with that session (workshops/events.py).
        user_logged_out.connect(sockets_close_on_sign_out, dispatch_uid="workshops-sign-out")
