"""A faster build with the same output: the ``course-build-helper`` MkDocs plugin (see ``plugin``)."""
