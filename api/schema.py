"""How the OpenAPI schema names what drf-spectacular cannot read by itself: the token."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.TokenAuthentication"
    name = "token"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "pd_<prefix>_<secret>",
            "description": "A client system's token (from the system administrator) or a "
            "person's own.",
        }
