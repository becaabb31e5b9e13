"""The store: peewee models, connecting by URL, schema versions and the queries the other rooms need."""

from store.drivers import import_peewee

import_peewee()
