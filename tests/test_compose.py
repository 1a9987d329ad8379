"""docker-compose.yml cannot run here (no Docker engine); it is parsed and checked instead:
the same topology the stack tests run on local services."""

from pathlib import Path

import yaml

COMPOSE = Path(__file__).resolve().parent.parent / "docker-compose.yml"


def test_the_app_services_share_the_database_redis_and_the_upload_volume() -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]

    assert set(services) == {"postgres", "redis", "web", "worker", "beat"}
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["REDIS_URL"].startswith("redis://")
        # A worker imports the files the web server received: both see the same folder.
        assert "media:" + environment["VSM_MEDIA_ROOT"] in services[name]["volumes"]
        assert set(services[name]["depends_on"]) == {"postgres", "redis"}
    assert set(compose["volumes"]) >= {"pgdata", "media"}
    assert "--ws websockets-sansio" in services["web"]["command"]
