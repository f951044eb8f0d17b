"""Every setting of the gateway and of the sandbox simulators; nothing else reads the environment.

Gateway settings use the prefix ``GATEWAY_`` (``GATEWAY_CARDLYTICS_CLIENT_ID``...), the
sandbox's ``GATEWAY_SANDBOX_``. Secrets are ``SecretStr`` so they never print. In ``live`` mode
every credential must be given explicitly; in ``sandbox`` mode they default to the simulators'
sample credentials.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from cryptography.hazmat.primitives.serialization import load_pem_public_key
from pydantic import (
    AnyHttpUrl,
    Field,
    IPvAnyNetwork,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "SANDBOX_DEFAULTS",
    "SandboxSettings",
    "Settings",
    "describe_validation_error",
    "unknown_environment_names",
]


class SANDBOX_DEFAULTS:
    """Sample credentials the simulators accept; the gateway uses them in sandbox mode."""

    host = "127.0.0.1"
    port = 8100
    cardlytics_client_id = "sandbox-client"
    cardlytics_secret = "sandbox-secret"
    clickbank_api_key = "API-" + "5A" * 20  # read + write clerk key
    clickbank_read_only_key = "API-" + "7B" * 20  # read-only clerk key
    clickbank_developer_key = "DEV-" + "3C" * 20  # legacy developer key
    customer_id_hmac_key = "sandbox-hmac-key"
    jwt_shared_key = "sandbox-viewer-token-key-not-for-production"


class Settings(BaseSettings):
    """The gateway's settings (environment prefix ``GATEWAY_``)."""

    model_config = SettingsConfigDict(
        env_prefix="GATEWAY_", extra="forbid", frozen=True, validate_default=True
    )

    mode: Literal["sandbox", "live"] = "sandbox"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # GraphiQL at GET /graphql; unset means on, except in live mode.
    graphiql: bool | None = None

    # Cardlytics Rewards Platform
    cardlytics_base_url: AnyHttpUrl = AnyHttpUrl(
        f"http://{SANDBOX_DEFAULTS.host}:{SANDBOX_DEFAULTS.port}/cardlytics"
    )
    cardlytics_client_id: str = SANDBOX_DEFAULTS.cardlytics_client_id
    cardlytics_secret: SecretStr = SecretStr(SANDBOX_DEFAULTS.cardlytics_secret)
    customer_id_hmac_key: SecretStr = SecretStr(SANDBOX_DEFAULTS.customer_id_hmac_key)
    cardlytics_mock_data: bool = False
    cardlytics_connect_timeout_s: float = Field(default=2.0, gt=0)
    cardlytics_read_timeout_s: float = Field(default=5.0, gt=0)
    session_token_cache_size: int = Field(default=10_000, ge=1)
    session_token_ttl_s: float = Field(default=900.0, gt=0)
    session_token_refresh_skew_s: float = Field(default=60.0, ge=0)
    # getAds answers kept per customer and filter for this long (0: not kept), and how many.
    ads_cache_ttl_s: float = Field(default=0.0, ge=0, le=60)
    ads_cache_size: int = Field(default=256, ge=1)

    # ClickBank tickets API
    clickbank_base_url: AnyHttpUrl = AnyHttpUrl(
        f"http://{SANDBOX_DEFAULTS.host}:{SANDBOX_DEFAULTS.port}/clickbank/rest/1.3"
    )
    clickbank_api_key: SecretStr = SecretStr(SANDBOX_DEFAULTS.clickbank_api_key)
    clickbank_developer_key: SecretStr | None = None  # set only for the legacy DEV-:API- form
    clickbank_connect_timeout_s: float = Field(default=2.0, gt=0)
    clickbank_read_timeout_s: float = Field(default=10.0, gt=0)
    clickbank_max_pages: int = Field(default=1000, ge=1)

    # Viewer tokens (bearer JWTs from the bank's identity provider)
    jwt_issuer: str = "rewards-gateway-sandbox"
    jwt_audience: str = "rewards-gateway"
    # Sandbox: HS256 with this shared key. Live: RS/ES-signed, keys from jwt_jwks_url.
    jwt_shared_key: SecretStr = SecretStr(SANDBOX_DEFAULTS.jwt_shared_key)
    jwt_jwks_url: AnyHttpUrl | None = None

    # Durable state and shared state across replicas
    database_url: str = "sqlite+aiosqlite:///rewards-gateway.sqlite3"
    # The customer ticket outbox: backoff between sends of one ticket, how often the worker looks
    # for due tickets, and how long a claimed send may run before another replica may resend it
    # (keep it above the Cardlytics timeouts times the retry attempts).
    outbox_retry_base_s: float = Field(default=1.0, gt=0)
    outbox_retry_max_s: float = Field(default=300.0, gt=0)
    outbox_poll_interval_s: float = Field(default=1.0, gt=0)
    outbox_lease_s: float = Field(default=60.0, gt=0)
    # Set: subscriptions fan out and session tokens are shared through Redis (several replicas).
    redis_url: str | None = None
    # Namespaces the Redis keys and pub/sub channels, for deployments sharing one Redis (pub/sub
    # channels are not per database).
    redis_prefix: str = "rewards-gateway:"

    # The Cardlytics webhook (POST /webhooks/cardlytics): the PEM public key that verifies the
    # sender's RS256 JWTs (unset: every delivery is refused with 401), and optionally the networks
    # deliveries may come from (empty: any address; the key is checked either way).
    webhook_public_key_pem: str | None = None
    webhook_allowed_networks: tuple[IPvAnyNetwork, ...] = ()

    # Resilience, shared by both upstreams
    retry_attempts: int = Field(default=3, ge=1, le=10)
    retry_base_delay_s: float = Field(default=0.1, ge=0)
    retry_max_delay_s: float = Field(default=2.0, ge=0)
    breaker_failure_threshold: int = Field(default=5, ge=1)
    breaker_reset_timeout_s: float = Field(default=10.0, gt=0)

    # Limits on one GraphQL request; a document over any of them is refused before it runs.
    max_query_depth: int = Field(default=10, ge=1)
    max_query_aliases: int = Field(default=30, ge=0)
    max_query_tokens: int = Field(default=2000, ge=100)
    max_query_cost: int = Field(default=5000, ge=1)
    # What a list field without first / last / limit counts for in the cost.
    query_cost_default_list_size: int = Field(default=20, ge=1)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Distinct documents kept parsed and validated (least recently used first out). A document
    # at the token limit takes about 1 MB parsed; the frontends' own documents under 100 KB.
    document_cache_size: int = Field(default=100, ge=1)
    # New objects between the collector's young passes (Python's default is 700). Higher costs
    # less CPU per request (measured: README "Settings" and "Performance").
    gc_gen0_threshold: int = Field(default=10_000, ge=100)

    @field_validator("webhook_public_key_pem")
    @classmethod
    def _a_public_key(cls, pem: str | None) -> str | None:
        if pem is None or not pem.strip():
            return None
        try:
            load_pem_public_key(pem.strip().encode())
        except ValueError:
            raise ValueError("must be a PEM public key (-----BEGIN PUBLIC KEY-----)") from None
        return pem.strip()

    @property
    def graphiql_enabled(self) -> bool:
        return self.mode != "live" if self.graphiql is None else self.graphiql

    @model_validator(mode="after")
    def _live_needs_real_credentials(self) -> Settings:
        if self.mode != "live":
            return self
        sandbox_values = {
            "cardlytics_client_id": SANDBOX_DEFAULTS.cardlytics_client_id,
            "cardlytics_secret": SANDBOX_DEFAULTS.cardlytics_secret,
            "customer_id_hmac_key": SANDBOX_DEFAULTS.customer_id_hmac_key,
            "clickbank_api_key": SANDBOX_DEFAULTS.clickbank_api_key,
        }
        for name, sample in sandbox_values.items():
            value = getattr(self, name)
            plain = value.get_secret_value() if isinstance(value, SecretStr) else value
            if plain == sample:
                raise ValueError(
                    f"GATEWAY_{name.upper()} must be set to a real credential in live mode"
                )
        if self.jwt_jwks_url is None:
            raise ValueError("GATEWAY_JWT_JWKS_URL must be set in live mode")
        return self


class SandboxSettings(BaseSettings):
    """The simulators' settings (environment prefix ``GATEWAY_SANDBOX_``)."""

    model_config = SettingsConfigDict(
        env_prefix="GATEWAY_SANDBOX_", extra="forbid", frozen=True, validate_default=True
    )

    host: str = SANDBOX_DEFAULTS.host
    port: int = Field(default=SANDBOX_DEFAULTS.port, ge=0, le=65535)
    seed: int = 20241001
    # Fault rules applied at start-up, as the JSON list the control endpoint takes.
    faults: str = "[]"

    # --- Cardlytics simulator ---
    cardlytics_client_id: str = SANDBOX_DEFAULTS.cardlytics_client_id
    cardlytics_secret: SecretStr = SecretStr(SANDBOX_DEFAULTS.cardlytics_secret)
    session_token_ttl_s: float = Field(default=900.0, gt=0)
    serve_token_ttl_s: float = Field(default=3600.0, gt=0)
    # Where CSA ticket updates and RTM events are delivered (one webhook, as Cardlytics has).
    webhook_url: AnyHttpUrl | None = None
    ticket_processing_delay_s: float = Field(default=1.0, ge=0)
    ticket_close_delay_s: float = Field(default=5.0, ge=0)
    # Seconds between redelivery attempts; Cardlytics' schedule is 1, 4, 16, 64, 256.
    webhook_retry_schedule_s: tuple[float, ...] = (1.0, 4.0, 16.0, 64.0, 256.0)
    webhook_timeout_s: float = Field(default=5.0, gt=0)
    # PEM of the RSA key that signs webhooks; empty means one is generated at start-up.
    webhook_signing_key_pem: SecretStr = SecretStr("")

    # --- ClickBank simulator ---
    clickbank_api_key: SecretStr = SecretStr(SANDBOX_DEFAULTS.clickbank_api_key)
    clickbank_read_only_key: SecretStr = SecretStr(SANDBOX_DEFAULTS.clickbank_read_only_key)
    clickbank_developer_key: SecretStr = SecretStr(SANDBOX_DEFAULTS.clickbank_developer_key)
    clickbank_partial_refunds_enabled: bool = True
    # Requests per second per client before 403 "Rate limit exceeded"; 0 disables the limit.
    clickbank_rate_limit_per_s: float = Field(default=0.0, ge=0)


def describe_validation_error(error: ValidationError, prefix: str = "GATEWAY_") -> str:
    """One line naming the first bad setting, for start-up failures (never a traceback)."""
    first = error.errors()[0]
    loc = "_".join(str(part) for part in first["loc"]).upper()
    if not loc:  # a check across settings names its setting in the message
        return f"invalid setting: {first['msg'].removeprefix('Value error, ')}"
    return f"invalid setting {prefix}{loc}: {first['msg']}"


def unknown_environment_names(environ: Mapping[str, str]) -> list[str]:
    """``GATEWAY_*`` variables that no setting reads: a typo there would otherwise pass silently."""
    known = {f"GATEWAY_{name.upper()}" for name in Settings.model_fields} | {
        f"GATEWAY_SANDBOX_{name.upper()}" for name in SandboxSettings.model_fields
    }
    return sorted(n for n in environ if n.upper().startswith("GATEWAY_") and n.upper() not in known)
