"""WeCom's limits, in one table: what a message may hold (in BYTES of UTF-8: a Chinese character is 3) and how
often one may be sent. Sender, shaping, chat answers and the emulator all read them from here
(see ../shared/wecom-notes.md and the WeCom docs 90236, 91770)."""

APP_TEXT_LIMIT = 2048  # app text: silently truncated past it
APP_MARKDOWN_LIMIT = 2048
WEBHOOK_TEXT_LIMIT = 2048  # robot text: refused past it (errcode 40058)
WEBHOOK_MARKDOWN_LIMIT = 4096
TEXTCARD_TITLE_LIMIT = 128
TEXTCARD_DESCRIPTION_LIMIT = 512
TEXTCARD_BTNTXT_CHARS = 4
WEBHOOK_IMAGE_LIMIT = 2 * 1024 * 1024  # a robot's inline image; a bigger one goes as a file

WEBHOOK_PER_MINUTE = 20  # messages per robot
USER_PER_MINUTE = 30  # messages one member gets from one app; the excess is dropped without an error
USER_PER_HOUR = 1000
