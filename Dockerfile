# Builds both services into one small image; docker-compose.yaml runs it twice.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --bin booking --bin search

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/booking /src/target/release/search /usr/local/bin/
ENV RUST_LOG=info
