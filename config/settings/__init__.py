"""Settings, one env-driven module per concern (README lists every variable)."""

from config.settings.affiliation import *  # noqa: F403
from config.settings.api import *  # noqa: F403
from config.settings.base import *  # noqa: F403
from config.settings.broker import *  # noqa: F403
from config.settings.cache import *  # noqa: F403
from config.settings.database import *  # noqa: F403
from config.settings.integration import *  # noqa: F403
from config.settings.logging import *  # noqa: F403
from config.settings.outbound import *  # noqa: F403
from config.settings.providers import *  # noqa: F403
from config.settings.review import *  # noqa: F403
from config.settings.security import *  # noqa: F403
from config.settings.storage import *  # noqa: F403
from config.settings.verification import *  # noqa: F403
