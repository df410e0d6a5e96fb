"""The regime's own vocabulary, with no chain and no file in sight: typed records (models), exact
quantities, customs codes (MRN, CN, country, UN/ECE Rec. 20 units) and rates of yield.

The lowest layer: it imports nothing else of `pa_client` but `pa_client.errors`.
"""
