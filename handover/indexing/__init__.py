"""The Q&A index of a handover: what the subject shared for questions and answers.

``services.index_case_threads`` reads the case through the one read path for the INDEX
purpose only (redacted, pseudonymised, names resolved for this moment) and hands one
``qa.indexing.ThreadSource`` per thread to the index; the readers of the case's wiki
space may find them. A case without a space indexes nothing. Every change of what the
read path serves for INDEX schedules ``tasks.index_case_threads_task`` on commit, and
every change that takes something away (a withdrawal, a narrowing, a new space, a
redaction, a name no longer consented to) also hides the case's passages in its own
transaction, so no answer finds them from that commit on; the reindex then shows what
is still served. The purge step ``qa.chunks`` deletes what is no longer served.
"""
