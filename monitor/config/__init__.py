"""`config.toml` → one validated, immutable `Settings` object, read once at start-up.

Every problem is reported with the key's path (`models[2].interval: ...`) so an
operator can fix the file without reading code. The only environment reads in
aistatus are here, in `api_key_for`, to resolve a secret named in the config.

    section        what every section shares: frozen, unknown keys refused; durations,
                   text without control characters, the store's limits
    running        [site] [storage] [probe] [web] [simulator]
    status         [status] [status.incidents]
    targets        [[providers]] [[models]], and a provider's secret
    notifications  [notifications] [[notifications.channels]]
    settings       the whole file, each section checked alone and then together
    loading        a file → Settings, or a ConfigError naming each bad key

Everything is imported from here (`from monitor.config import Settings`). Imports
pydantic, the standard library and the shared basics beside it (`config_checks`,
`durations`, `text`); never any other part of aistatus.
"""

from monitor.config.loading import (
    ConfigError,
    describe_problems,
    load_settings,
    read_config,
    settings_from_dict,
)
from monitor.config.notifications import ChannelEvent, ChannelSettings, NotificationSettings
from monitor.config.running import (
    ProbeSettings,
    SimulatorSettings,
    SiteSettings,
    StorageSettings,
    WebSettings,
)
from monitor.config.section import (
    MAX_MODEL_ID,
    MAX_PROVIDER_ID,
    MAX_REGION,
    REGION_PATTERN,
    Seconds,
    Text,
)
from monitor.config.settings import Settings
from monitor.config.status import IncidentSettings, StatusSettings
from monitor.config.targets import (
    ModelSettings,
    ProviderKind,
    ProviderSettings,
    api_key_for,
    missing_key,
)

__all__ = [
    "MAX_MODEL_ID",
    "MAX_PROVIDER_ID",
    "MAX_REGION",
    "REGION_PATTERN",
    "ChannelEvent",
    "ChannelSettings",
    "ConfigError",
    "IncidentSettings",
    "ModelSettings",
    "NotificationSettings",
    "ProbeSettings",
    "ProviderKind",
    "ProviderSettings",
    "Seconds",
    "Settings",
    "SimulatorSettings",
    "SiteSettings",
    "StatusSettings",
    "StorageSettings",
    "Text",
    "WebSettings",
    "api_key_for",
    "describe_problems",
    "load_settings",
    "missing_key",
    "read_config",
    "settings_from_dict",
]
