# syntax=docker/dockerfile:1
# Sluice controller image: build with the full toolchain, run with production deps only.

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:20-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# CRDs and ready analysis templates travel with the image for reference and tooling.
COPY manifests/crds ./manifests/crds
COPY analysis-templates ./analysis-templates
# The node image's `node` user has uid/gid 1000; numeric so runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["node", "dist/controller/main.js"]
