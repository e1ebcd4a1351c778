"""The integration tests: real producers end to end (fixtures in ``airflow_support``)."""

# The DAG files run inside the Airflow virtualenv, never in this interpreter (and
# ``--doctest-modules`` would import them).
collect_ignore = ["airflow_dags"]
