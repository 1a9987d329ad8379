from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = "Flow metrics"

    def ready(self) -> None:
        from metrics.exports import map_header
        from metrics.services import derived_summaries_request, summary_request
        from streams import extensions

        extensions.flow_change_listen(summary_request)
        extensions.flow_change_listen(derived_summaries_request)
        extensions.picture_header_register(map_header)
