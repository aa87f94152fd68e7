"""Typed configuration, read once at the entry point from ``renkei.toml``.

Environment variables override the file: ``RENKEI_WAREHOUSE`` for a top-level key,
``RENKEI_MAIL__TRANSPORT`` for a key inside a table. Relative paths are resolved
against the folder that holds the config file, so a working folder can be moved.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from renkei.core.errors import ConfigError

DEFAULT_CONFIG = Path("renkei.toml")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MailSettings(_Section):
    transport: Literal["outbox", "smtp"] = "outbox"
    outbox: Path = Path("outbox")
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_user: str | None = None
    # The password is never in the file: name the environment variable that holds it.
    smtp_password_env: str = "RENKEI_SMTP_PASSWORD"
    # Or the name of a Prefect Secret block holding it (used instead of the variable).
    smtp_password_block: str | None = None
    rate_per_second: float = Field(default=5.0, gt=0)
    # Delivery outcome handling (renkei/delivery/send.py): 4xx replies are retried this many
    # times with exponential backoff; after this many consecutive connection failures the
    # send pauses and the run is marked failed.
    retry_limit: int = Field(default=3, ge=0, le=20)
    retry_backoff: float = Field(default=2.0, ge=0)
    max_connection_failures: int = Field(default=3, ge=1)
    # Unsubscribe tokens are HMAC-signed. The secret comes from this environment variable;
    # when it is unset, from unsubscribe_secret_file, which renkei creates with a random
    # value (mode 0600) the first time it is needed. Keep that file out of version control.
    unsubscribe_secret_env: str = "RENKEI_UNSUBSCRIBE_SECRET"
    unsubscribe_secret_file: Path = Path("unsubscribe.key")
    # Optional DKIM signing (dkimpy): a PEM RSA private key and its DNS selector.
    dkim_key: Path | None = None
    dkim_selector: str | None = None
    dkim_domain: str | None = None  # default: the domain of issuer.contact_email

    @model_validator(mode="after")
    def _smtp_needs_host(self) -> MailSettings:
        if self.transport == "smtp" and not self.smtp_host:
            raise ValueError("smtp_host is required when transport = 'smtp'")
        return self


class IssuerSettings(_Section):
    """Sender identity. 特定電子メール法 requires name, postal address and a contact."""

    name: str = Field(min_length=1)
    postal_address: str = Field(min_length=1)
    contact_email: EmailStr
    website: str = Field(pattern=r"^https://")
    unsubscribe_url: str = Field(pattern=r"^https://")
    unsubscribe_mailto: EmailStr | None = None


class NewsletterSettings(_Section):
    title: str = "中国地域産学官連携通信"
    period: Literal["monthly"] = "monthly"
    upcoming_weeks: int = Field(default=8, ge=1, le=52)
    section_cap: int = Field(default=12, ge=1, le=100)
    first_number: int = Field(default=1, ge=1)
    dataset_url: str = Field(default="https://example.jp/renkei/data/", pattern=r"^https://")
    # An approval not acted on within this time must be given again (stale-send guard).
    approval_valid_hours: int = Field(default=72, ge=1)
    # How long a compile flow run waits paused for approval, and how often it checks.
    approval_timeout_hours: int = Field(default=168, ge=1)
    approval_poll_seconds: int = Field(default=10, ge=1, le=600)
    # Four-eyes rule: the last person who edited a draft may not approve it (`renkei
    # approve` and the console pass this to renkei.newsletter.approval.approve).
    four_eyes: bool = True


class FeedSettings(_Section):
    concurrency: int = Field(default=16, ge=1, le=512)
    per_host: int = Field(default=2, ge=1, le=16)
    connect_timeout: float = Field(default=10.0, gt=0)
    read_timeout: float = Field(default=30.0, gt=0)
    max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    user_agent: str = "renkei/0.1 (+https://example.jp/renkei; collaboration secretariat)"
    # Deadlines (issue 16): one feed, redirects, feed link and body included; and the whole
    # fetch of a run (feeds not finished by then fail, the finished ones are committed).
    feed_timeout: float = Field(default=60.0, gt=0, le=3600)
    run_timeout: float = Field(default=300.0, gt=0, le=86400)
    # Items staged per feed body: the first ones in the feed; the rest are counted, reported.
    max_items: int = Field(default=500, ge=1, le=100_000)
    # Feeds, redirects and feed links on loopback, private, link-local, multicast, reserved
    # or unspecified addresses are refused unless this is true (tests, an intranet).
    allow_private_addresses: bool = False


class OrchestrationSettings(_Section):
    """Running unattended on a Prefect server (renkei/orchestration/)."""

    # Failure alerts: one short Japanese e-mail per failed or crashed flow run.
    alert_to: EmailStr | None = None  # None: no alert mail (the failure is still logged)
    ui_url: str = "http://127.0.0.1:4200"  # the Prefect UI, for the link to the run
    # "dask": fetch and normalise steps run on a Dask cluster (pip install renkei[dask]).
    task_runner: Literal["default", "dask"] = "default"
    dask_address: str | None = None  # an existing scheduler; None: a local cluster
    dask_workers: int = Field(default=2, ge=1, le=256)
    # Global concurrency limits (create them once: see README "Running it for real").
    writer_limit: str = "renkei-warehouse"  # one warehouse writer at a time
    send_limit: str = "renkei-send"  # one newsletter send at a time


class IntakeSettings(_Section):
    """Submitted reports (renkei/submissions/). The inbox folder itself is the top-level
    ``inbox`` key."""

    # `renkei watch` handles a file once its size and mtime have not changed for this long.
    settle_seconds: float = Field(default=1.0, ge=0, le=600)
    # E-mail each receipt (受付結果) to the member's contact addresses through [mail].
    mail_receipts: bool = True
    # The sheet read from an .xlsx (the template's); the first sheet when it is absent.
    sheet: str = "提出用"
    # Limits on one submitted file, checked before it is parsed: a file over any of them is
    # rejected whole (its bytes are kept; the receipt names the limit). Peak memory of an
    # intake stays well under 1 GB at these defaults (README, hostile input).
    max_file_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)
    max_columns: int = Field(default=200, ge=1, le=16384)
    max_rows: int = Field(default=100_000, ge=1)  # data rows (the header not counted)
    max_cell_chars: int = Field(default=20_000, ge=100)
    max_line_bytes: int = Field(default=1024 * 1024, ge=1024)  # one CSV line
    max_xlsx_uncompressed_bytes: int = Field(default=128 * 1024 * 1024, ge=1024)
    max_shared_strings_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)


class ConsoleSettings(_Section):
    """The secretariat's web console (`renkei console`, renkei/console/)."""

    # Sessions: signed cookies; a session ends after this long without a request, and
    # after this long in any case (then the person signs in again).
    idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    absolute_hours: int = Field(default=12, ge=1, le=24 * 14)
    # Wrong passwords: after this many in a row the next wrong one locks the account.
    max_failed_logins: int = Field(default=5, ge=1, le=100)
    lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # Sign-in attempts from one remote address per 10 minutes, whatever the account.
    attempts_per_address: int = Field(default=30, ge=1, le=10_000)
    # The cookie signing key: from this environment variable, else from this file (made
    # on first use, mode 0600, next to the config).
    secret_env: str = "RENKEI_CONSOLE_SECRET"
    secret_file: Path = Path("console.key")
    # Secure cookies: "auto" sets Secure when the request came over HTTPS (as the trusted
    # reverse proxy says in X-Forwarded-Proto); "always" behind a proxy that terminates TLS.
    secure_cookies: Literal["auto", "always", "never"] = "auto"
    # Addresses whose X-Forwarded-For/-Proto headers are believed (the reverse proxy).
    trusted_proxies: str = "127.0.0.1"
    # A page waits this long for a flow that holds the warehouse, then says it is busy.
    busy_wait_seconds: float = Field(default=3.0, ge=0, le=30)
    # The address members reach the portal at (behind the proxy). When set, receipt mails
    # carry a sign-in link for their contact (single use, 72 hours).
    public_url: str | None = Field(default=None, pattern=r"^https://")
    # 「この取組について相談する」 links in a bulletin work for this many days.
    consult_link_days: int = Field(default=90, ge=1, le=730)


class BounceSettings(_Section):
    """Bounces and complaints (`renkei bounces process`, renkei/delivery/bounce_mailbox.py).

    With ``bounce_domain`` set, each delivery's envelope sender is
    ``bounce+<signed token>@<bounce_domain>`` (VERP), so a bounce names its delivery; the
    mailbox that receives that domain's mail is read over IMAP."""

    enabled: bool = False  # false: `renkei bounces process` and the flow do nothing
    bounce_domain: str | None = Field(default=None, pattern=r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
    imap_host: str | None = None
    imap_port: int | None = Field(default=None, ge=1, le=65535)  # default: 993 tls, else 143
    imap_security: Literal["tls", "starttls", "none"] = "tls"
    imap_user: str | None = None
    # The password is never in the file: the environment variable holding it, or a Prefect
    # Secret block (used instead of the variable when named).
    imap_password_env: str = "RENKEI_IMAP_PASSWORD"
    imap_password_block: str | None = None
    imap_folder: str = "INBOX"
    # Processed messages are moved here (created when missing); empty: only marked seen.
    processed_folder: str | None = "renkei-processed"
    # Soft bounces (4.x.x) suppress an address when this many of its last soft_window
    # deliveries bounced; a hard bounce (5.x.x) at once; a complaint unsubscribes.
    soft_threshold: int = Field(default=3, ge=1, le=100)
    soft_window: int = Field(default=5, ge=1, le=100)
    batch_size: int = Field(default=50, ge=1, le=10_000)  # messages per warehouse commit

    @model_validator(mode="after")
    def _consistent(self) -> BounceSettings:
        if self.soft_threshold > self.soft_window:
            raise ValueError("soft_threshold must not exceed soft_window")
        if self.enabled and not (self.imap_host and self.imap_user):
            raise ValueError("imap_host and imap_user are required when enabled = true")
        return self


class CollaborationSettings(_Section):
    """Consultation requests and needs/seeds (renkei/collaboration/)."""

    # A reminder lists requests with no outcome beyond the introduction for this long.
    reminder_weeks: int = Field(default=4, ge=1, le=52)
    # Personal parts (address, name, message) of requests and needs/seeds are erased this
    # long after their last change; the counts stay for the figures.
    retention_months: int = Field(default=36, ge=1, le=120)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="RENKEI_", env_nested_delimiter="__", extra="forbid"
    )

    warehouse: Path = Path("renkei.duckdb")
    registry: Path = Path("members.csv")
    inbox: Path = Path("inbox")
    raw_store: Path = Path("raw")
    publish_dir: Path = Path("publish")
    classification: Path | None = None  # None: the bundled keyword dictionary
    summary_chars: int = Field(default=200, ge=40, le=2000)
    mail: MailSettings = MailSettings()
    issuer: IssuerSettings
    newsletter: NewsletterSettings = NewsletterSettings()
    feeds: FeedSettings = FeedSettings()
    orchestration: OrchestrationSettings = OrchestrationSettings()
    intake: IntakeSettings = IntakeSettings()
    console: ConsoleSettings = ConsoleSettings()
    collaboration: CollaborationSettings = CollaborationSettings()
    bounces: BounceSettings = BounceSettings()

    # Where the settings came from, for messages. Not a setting.
    source: Path = Field(default=DEFAULT_CONFIG, exclude=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment wins over the file (the file arrives as init kwargs).
        return (env_settings, init_settings)

    def resolved(self, base: Path) -> Settings:
        """Return a copy whose relative paths are anchored at ``base``."""
        updates: dict[str, Any] = {}
        for name in (
            "warehouse",
            "registry",
            "inbox",
            "raw_store",
            "publish_dir",
            "classification",
        ):
            value = getattr(self, name)
            if value is not None and not value.is_absolute():
                updates[name] = (base / value).resolve()
        mail = self.mail
        for key in ("outbox", "unsubscribe_secret_file", "dkim_key"):
            value = getattr(mail, key)
            if value is not None and not value.is_absolute():
                mail = mail.model_copy(update={key: (base / value).resolve()})
        updates["mail"] = mail
        console = self.console
        if not console.secret_file.is_absolute():
            console = console.model_copy(
                update={"secret_file": (base / console.secret_file).resolve()}
            )
        updates["console"] = console
        return self.model_copy(update=updates)


def _describe(error: ValidationError, path: Path) -> str:
    parts = []
    for err in error.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"]
        if err["type"] == "missing":
            msg = "is required but missing"
        elif err["type"] == "extra_forbidden":
            msg = "is not a known setting"
        parts.append(f"{loc} {msg}")
    return f"{path}: setting " + "; ".join(parts)


def load_settings(path: Path | str | None = None) -> Settings:
    """Read and validate the config file; raise ConfigError naming the setting and file."""
    config_path = Path(path) if path is not None else DEFAULT_CONFIG
    if not config_path.is_file():
        raise ConfigError(
            f"{config_path}: config file not found (create one with `renkei init DIR`, "
            "or pass --config PATH)"
        )
    try:
        data = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{config_path}: not valid TOML: {exc}") from None
    try:
        settings = Settings(**data, source=config_path)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, config_path)) from None
    return settings.resolved(config_path.resolve().parent)
