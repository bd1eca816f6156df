# syntax=docker/dockerfile:1
#
# The server's image. The dependencies are compiled in a layer of their own (cargo-chef), so a
# change to the project's code rebuilds only the project; the runtime is Debian slim without
# compilers or a shell's worth of tools, runs as an unprivileged user, and checks its own
# readiness with the binary itself (no curl).
#
#   docker build -t waldur-offering-users .
#   docker run --rm -e DATABASE_URL=postgres://user:password@db:5432/waldur \
#       -e PUBLIC_URL=http://127.0.0.1:8000 -e ALLOWED_HOSTS=127.0.0.1,localhost \
#       -p 127.0.0.1:8000:8000 waldur-offering-users
#
# The image listens on 0.0.0.0, so `serve` refuses to start unless PUBLIC_URL or ALLOWED_HOSTS
# is set (ALLOWED_HOSTS='*' serves any host, explicitly). Port 8000 is the API; port 9000 the
# management listener (/metrics, /health/*), for the orchestrator's network only: never
# publish it (METRICS_TOKEN puts /metrics behind a bearer token).

ARG RUST_IMAGE=rust:1-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# --- cargo-chef, once ---------------------------------------------------------------------------
FROM ${RUST_IMAGE} AS chef
RUN cargo install cargo-chef --locked --version 0.1.78
WORKDIR /src

# --- the recipe: Cargo.toml, Cargo.lock and the targets' shape (lib, the two binaries, build.rs),
#     nothing that changes with the code --------------------------------------------------------
FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

# --- dependencies, cached until Cargo.toml or Cargo.lock change; then the project ---------------
FROM chef AS build
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json --bin waldur-offering-users
COPY . .
# `sqlx::migrate!` embeds migrations/ at compile time (build.rs reruns on a change there), and
# the demo directory and Swagger UI's files are embedded too: the binary is all the image needs.
RUN cargo build --release --locked --bin waldur-offering-users \
    && install -D -m 0755 target/release/waldur-offering-users /out/waldur-offering-users

# --- runtime -------------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE} AS runtime
# A fixed uid/gid, so volumes and security policies (runAsUser: 10001) can name it.
RUN groupadd --system --gid 10001 waldur \
    && useradd --system --uid 10001 --gid waldur --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin waldur
COPY --from=build /out/waldur-offering-users /usr/local/bin/waldur-offering-users
# Listen on every interface inside the container: the API on 8000, the management listener on
# 9000 so that the orchestrator (and Prometheus) can probe and scrape it within its network.
ENV BIND_ADDR=0.0.0.0:8000 \
    ADMIN_BIND=0.0.0.0:9000 \
    RUST_LOG=info
EXPOSE 8000 9000
USER 10001:10001
# GET /health/ready on BIND_ADDR (0.0.0.0 read as 127.0.0.1) with a 2 s timeout: exit 0 or 1.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["waldur-offering-users", "health"]
# SIGTERM (Docker's stop signal) closes the listeners and lets requests in progress finish
# within SHUTDOWN_TIMEOUT (30 s by default): give `docker stop` / Kubernetes a grace period
# longer than that.
ENTRYPOINT ["waldur-offering-users"]
CMD ["serve"]
