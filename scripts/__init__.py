"""Ape scripts (`ape run deploy`, `ape run submit_batch FILE`): thin layers over `pa_client`."""
