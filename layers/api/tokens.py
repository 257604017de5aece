"""POST /api/token/: a user's API token for a username and password (docs/API.md, "Token")."""
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from ..models import AuditKind
from ..security.audit import record
from ..security.login_lock import lock_message, refused_until, retry_after
from . import openapi as doc


class TokenThrottle(AnonRateThrottle):
    """Guessing passwords here is as slow as at the log-in page would like it to be: 20 tries a minute per address."""

    rate = "20/minute"


class ObtainToken(ObtainAuthToken):
    """DRF's obtain_auth_token with the project's error shape; no session involved (so no CSRF token either)."""

    authentication_classes = ()
    throttle_classes = (TokenThrottle,)
    no_compression = True  # the answer is a secret: never compressed (BREACH, layers/compression.py)

    @extend_schema(
        operation_id="token_create",
        tags=["authentication"],
        summary="Get your API token",
        description="The same token every time until an administrator deletes it (admin → Auth Token → Tokens). "
                    "Send it as `Authorization: Token <token>`: then no CSRF token is needed.",
        request={"application/json": doc.TokenRequestSerializer,
                 "application/x-www-form-urlencoded": doc.TokenRequestSerializer},
        responses={200: doc.TokenSerializer,
                   400: OpenApiResponse(doc.ErrorSerializer, description="Wrong username or password, or missing."),
                   429: OpenApiResponse(doc.ErrorSerializer, description="Too many tries; wait a minute, or (after "
                                        "LOGIN_MAX_FAILURES wrong passwords) until the user name's lock ends.")},
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            until = refused_until(request)  # the password was not checked: the user name is locked
            if until is not None:
                return Response({"error": lock_message(until)}, status=429,
                                headers={"Retry-After": str(retry_after(until))})
            messages = serializer.errors.get("non_field_errors") or [
                f"{name}: {' '.join(str(m) for m in problems)}" for name, problems in serializer.errors.items()
            ]
            field = next((name for name in serializer.errors if name != "non_field_errors"), None)
            return Response({"error": " ".join(str(m) for m in messages), **({"field": field} if field else {})},
                            status=400)
        user = serializer.validated_data["user"]
        token, _created = Token.objects.get_or_create(user=user)
        record(AuditKind.LOGIN, request=request._request, user=user, detail="API token")
        return Response({"token": token.key})


obtain_token = ObtainToken.as_view()
