from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = "Flow metrics"

    def ready(self) -> None:
        from metrics.services import summary_request
        from streams import extensions

        extensions.flow_change_listen(summary_request)
