# slim's own image, from its Debian package:
#   scripts/package.sh                          # build/slim_VERSION_amd64.deb
#   docker build -t slim:0.1.0 -f Dockerfile build/
#   docker run --rm -v /var/run/docker.sock:/var/run/docker.sock -v "$PWD:/work" -w /work \
#     slim:0.1.0 slim build myapp:1.4
# BASE is any Debian 12 image (the tests use the debootstrapped slim-fixture/base:bookworm).
ARG BASE=debian:bookworm-slim
FROM ${BASE}
COPY slim_*_amd64.deb /tmp/
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends /tmp/slim_*_amd64.deb \
 && rm -rf /var/lib/apt/lists/* /tmp/slim_*_amd64.deb
CMD ["slim", "--help"]
