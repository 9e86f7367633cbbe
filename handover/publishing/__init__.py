"""Publishing a handover into the wiki, passing the subject's pages on, and unpublishing.

``services.publish_case`` writes the subject's approved sections (only their approved
sentences whose cited messages consent still serves for publishing) as wiki pages under
one handover page in the case's space, through the wiki's own services, and records
them as ``PublishedPage`` rows. The purge step ``handover.published_pages`` (registered
in ``handover.apps``) hard-deletes those pages with ``wiki.services.purge_pages`` when a
withdrawal takes away what they cite. ``services.propose_page_reassignments`` and the
two confirmations pass the subject's own wiki pages to the successors.
"""
