"""Production's static files storage: whitenoise's compressed, hashed-name storage (pages name
each file by its content's hash, cached for ever), without rewriting source-map references.

The vendored packages (static/vendor/) are copied without their source maps, and
`swagger-ui.css` still names `swagger-ui.css.map`: Django's manifest storage fails
`collectstatic` on a reference it cannot find, so the image could not be built. A browser only
asks for a source map with its developer tools open; the missing one is a 404 there."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    patterns = tuple(
        (extension, tuple(rule for rule in rules if "sourceMappingURL" not in str(rule)))
        for extension, rules in CompressedManifestStaticFilesStorage.patterns
    )
