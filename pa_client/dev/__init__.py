"""For newcomers and developers: the demo, the console helpers of `ape console`, the sample
season and the synthetic ledgers of the benchmarks and tests.
"""
