"""Where runs execute: tasks, child processes, executors (inline, local, Dask).

Also the recycling process pool, progress, table recording and the Keras environment of
a worker.
"""
