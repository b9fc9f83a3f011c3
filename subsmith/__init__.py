"""subsmith: a movie library in, accurately subtitled movies out.

The Snakemake workflow (Snakefile, rules/) orders the stages; this package holds
the logic of each stage so that it can be unit-tested without Snakemake.
"""

__version__ = "0.1.0"
