# Builds both services into one small image; docker-compose.yaml runs it as
# `migrate`, `booking` and `search`.
FROM rust:1-bookworm AS build
WORKDIR /src
# .dockerignore keeps target/, .venv, .local and .git out of the context.
COPY . .
ENV CARGO_TARGET_DIR=/src/target
RUN cargo build --release --locked --bin booking --bin search

# The web app: API types from the committed openapi/*.json, type-checked, bundled.
FROM node:20-bookworm-slim AS ui
WORKDIR /src
COPY openapi ./openapi
COPY ui/package.json ui/package-lock.json ./ui/
RUN cd ui && npm ci --no-audit --no-fund
COPY ui ./ui
RUN cd ui && npm run build

FROM debian:bookworm-slim
# ca-certificates for real Stripe over TLS; curl for the compose healthchecks.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 slotwise \
    && useradd --system --uid 10001 --gid slotwise --no-create-home --shell /usr/sbin/nologin slotwise
COPY --from=build /src/target/release/booking /src/target/release/search /usr/local/bin/
COPY --from=ui /src/ui/dist /usr/share/slotwise/ui
ENV RUST_LOG=info UI_DIR=/usr/share/slotwise/ui
USER 10001:10001
EXPOSE 3000 3001
CMD ["booking", "serve"]
