"""Operations on one store's rows that the store delegates, each in its own module.

``replay``: applying log records to rows (every write, and recovery on open);
``scrolling``: paging through items in id order with a cursor; ``patching``: what a
metadata patch makes of a stored item. Like ``searching.py`` they see the store's
state only through what it hands them (rows, a :class:`~world2vec.memory.view.ReadView`),
never the store itself.
"""
