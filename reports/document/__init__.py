"""What the report says: the document model and the text of its sections.

:func:`~tunebench.reports.document.build.build_document` writes the sections (setup,
one per problem, the statistics over all problems, what is missing, how it was
computed), :func:`~tunebench.reports.document.opening.opening` the answer the report
opens with and :mod:`~tunebench.reports.document.narrative` its summary paragraph; the
renderers only lay them out.
"""
