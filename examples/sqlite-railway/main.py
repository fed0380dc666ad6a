"""A small FastAPI app whose SQLite database dbinit makes ready (see README.md)."""

from fastapi import FastAPI

from dbinit.fastapi import health_router, ready_lifespan

# Settings as for the CLI: DBINIT_DATABASE_URL, else the Railway volume
# (RAILWAY_VOLUME_MOUNT_PATH/app.db), else sqlite:///app.db; schemas/ beside this file.
app = FastAPI(lifespan=ready_lifespan())
app.include_router(health_router())


@app.get("/")
def index() -> dict[str, str]:
    return {"app": "sqlite-railway example"}
