from musanada.formats.common import *  # noqa: F403
