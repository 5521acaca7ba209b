"""``privacycam batch``: many recordings filtered on a Ray cluster, resumable, with a report.

:mod:`jobs` says what to do (a folder or a manifest), :mod:`ledger` remembers what is done,
:mod:`worker` filters files in a long-lived process, :mod:`runner` drives the workers on
Ray, :mod:`report` writes the summary, :mod:`command` is the command line.
"""
