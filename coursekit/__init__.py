"""coursekit: the build logic of the MLOps course.

One lecture file becomes a site page, a slide deck, syllabus entries and links to its quiz and
code. The MkDocs hooks in ``hooks/`` are thin adapters onto this package; everything here can be
used and tested without MkDocs.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
