"""The Celery tasks (celery.py): both run the jobs through the runner, as every other worker does."""

from musanada.jobs import runner
from musanada.jobs.celery import RUN_TASK, TICK_TASK, app


@app.task(name=RUN_TASK)
def run_job(job_id: int) -> bool:
    """Run the job of this row, sent after the commit that queued it."""
    return runner.run_job(job_id)


@app.task(name=TICK_TASK)
def tick() -> int:
    """Queue the periodic jobs whose slot has come and run the due jobs, sent by beat."""
    return runner.tick()
