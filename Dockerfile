# Lookspan container image: `docker build -t lookspan:0.1.0 .` from a checkout.
# Two stages: the first compiles src/ to dist/ and builds the dashboard (ui/)
# into dist/ui with the dev toolchain; the second holds only production
# dependencies, dist/ and proto/.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY ui ./ui
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
# Production dependencies only, pinned by the lockfile. No production
# dependency needs an install script: DuckDB's native binding is a prebuilt
# npm package for the build platform (@duckdb/node-bindings-linux-x64 or
# -linux-arm64), so build on or for the architecture you deploy to.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY proto ./proto
COPY --from=build /app/dist ./dist
# A non-root user with uid/gid 10001, the ids the Helm chart runs as. The
# application files stay root-owned (read-only to it); the data directory
# belongs to it, so a fresh volume mounted there is writable. Nothing is
# written outside the data directory, so the root filesystem can be read-only.
RUN groupadd --system --gid 10001 lookspan \
  && useradd --system --uid 10001 --gid lookspan --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin lookspan \
  && mkdir -p /data && chown 10001:10001 /data
ENV LOOKSPAN_HOST=0.0.0.0 LOOKSPAN_DATA_DIR=/data
VOLUME /data
USER 10001:10001
EXPOSE 3100 3317
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.LOOKSPAN_HTTP_PORT || 3100) + '/api/liveness').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node itself is PID 1, so SIGTERM reaches the service and it drains (npm
# would not forward the signal).
ENTRYPOINT ["node", "dist/main.js"]
