"""What every section of the config shares: frozen, unknown keys refused; the value
types that read durations and refuse control characters; the store's limits."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

from monitor.config_checks import no_control
from monitor.durations import parse_duration

# The store's column widths (monitor/store/rows/schema.py; a test keeps the two equal).
# PostgreSQL refuses longer text at the first write, SQLite would keep it: checked here
# for both, so a config that works on one works on the other.
MAX_PROVIDER_ID = 100
MAX_MODEL_ID = 255
MAX_REGION = 64
REGION_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"  # an environment variable a secret is read from


Seconds = Annotated[float, BeforeValidator(parse_duration)]


# Any text the site, the feeds or the store will show or keep.
Text = Annotated[str, AfterValidator(no_control)]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
