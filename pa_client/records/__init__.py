"""The files people exchange, read and checked whole: the entries file a broker or an ERP sends,
the authorisation file customs register, the rejects file of skipped rows.
"""
