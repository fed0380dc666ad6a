"""A small FastAPI app whose PostgreSQL database dbinit makes ready (see README.md)."""

from fastapi import FastAPI

from dbinit.fastapi import health_router, ready_lifespan

# Settings as for the CLI: DATABASE_URL (Railway sets it from the PostgreSQL service)
# or DBINIT_DATABASE_URL; schemas/ beside this file.
app = FastAPI(lifespan=ready_lifespan())
app.include_router(health_router())


@app.get("/")
def index() -> dict[str, str]:
    return {"app": "postgres-railway example"}
