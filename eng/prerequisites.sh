# Sourced by run.sh and test.sh: makes sure this machine has what the platform runs on, installing
# missing Debian packages when it can (root or passwordless sudo) and failing fast, with the exact
# command to run, when it cannot.

# Debian packages local infrastructure mode runs from.
PLATFORM_PACKAGES=(postgresql redis-server rabbitmq-server)

fail() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

missing_packages() {
  local missing=()
  compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || command -v postgres >/dev/null || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || command -v rabbitmq-server >/dev/null || missing+=(rabbitmq-server)
  echo "${missing[@]+"${missing[@]}"}"
}

ensure_dotnet() {
  command -v dotnet >/dev/null ||
    fail "the .NET 10 SDK is not installed. Install it (https://learn.microsoft.com/dotnet/core/install/linux), then run this again."
  dotnet --list-sdks 2>/dev/null | grep -q '^10\.' ||
    fail "the .NET 10 SDK is required (found: $(dotnet --list-sdks | tr '\n' ' ')). Install it (https://learn.microsoft.com/dotnet/core/install/linux)."
}

# Installs packages with apt while keeping their services from starting: the platform runs its own
# instances, on its own ports, from its own state folder.
apt_install() {
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
      sudo=(sudo)
    else
      fail "missing packages: $*. Install them with: sudo apt-get install -y --no-install-recommends $*"
    fi
  fi
  command -v apt-get >/dev/null ||
    fail "missing: $*. Install them with your package manager (this script knows apt only)."

  local added_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | ${sudo[@]+"${sudo[@]}"} tee /usr/sbin/policy-rc.d >/dev/null
    ${sudo[@]+"${sudo[@]}"} chmod +x /usr/sbin/policy-rc.d
    added_policy=1
    # Interrupted (Ctrl+C) mid-install: the machine must not keep refusing to start services.
    trap "${sudo[*]-} rm -f /usr/sbin/policy-rc.d; exit 130" INT TERM HUP
  fi
  echo "Installing $* (services stay stopped) ..."
  local status=0
  # env: sudo drops DEBIAN_FRONTEND, and a debconf prompt would wait unseen.
  if ! ${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get update -qq ||
     ! ${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null; then
    status=1
  fi
  if [ -n "$added_policy" ]; then
    ${sudo[@]+"${sudo[@]}"} rm -f /usr/sbin/policy-rc.d
    trap - INT TERM HUP
  fi
  [ $status -eq 0 ] || fail "apt-get install $* failed."
  mask_services "$@"
}

# The daemons of packages installed here stay off at the next boot too (masked, as `systemctl mask`
# does): the platform runs its own instances. `systemctl unmask <unit>` gives one back. Called by
# apt_install, whose `sudo` it uses.
mask_services() {
  local package unit units=()
  for package in "$@"; do
    case "$package" in
      postgresql) units+=(postgresql.service) ;;
      redis-server) units+=(redis-server.service) ;;
      rabbitmq-server) units+=(rabbitmq-server.service epmd.service epmd.socket) ;;
      prometheus) units+=(prometheus.service) ;;
      docker-registry) units+=(docker-registry.service) ;;
    esac
  done
  for unit in ${units[@]+"${units[@]}"}; do
    [ ! -e "/lib/systemd/system/$unit" ] || ${sudo[@]+"${sudo[@]}"} ln -sfn /dev/null "/etc/systemd/system/$unit"
  done
}

ensure_prerequisites() {
  ensure_dotnet
  local missing
  missing=$(missing_packages)
  [ -z "$missing" ] || apt_install $missing
}

# What the tests need besides: promtool (Debian's prometheus) checks and unit-tests the alert rules; kubectl
# renders the Kubernetes output; the browser tests drive Debian's chromium through Playwright (never a downloaded browser).
ensure_test_prerequisites() {
  ensure_prerequisites
  command -v promtool >/dev/null || apt_install prometheus
  # Debian's kubectl (1.20) is too old for the Kubernetes output's kustomize files.
  kubectl kustomize --help >/dev/null 2>&1 ||
    fail "kubectl 1.27 or later is needed (the tests render the Kubernetes output with kubectl kustomize). Install it: curl -LO https://dl.k8s.io/release/v1.32.4/bin/linux/amd64/kubectl && sudo install kubectl /usr/local/bin/"
#if (web)
  [ -x /usr/bin/chromium ] || apt_install chromium
#endif
  # The image tests: a registry of their own (Debian's docker-registry), podman to run the images, debootstrap for the
  # stand-ins of the .NET base images (eng/base-images.sh).
  command -v docker-registry >/dev/null && command -v podman >/dev/null && command -v debootstrap >/dev/null ||
    apt_install docker-registry podman runc debootstrap
}

# Benchmarks only: their load tools, installed like the rest (or a fast failure with the install command).
ensure_bench_tools() {
  local tool
  for tool in "$@"; do
    local package
    case "$tool" in wrk) package=wrk ;; pgbench) package=postgresql-client ;; *) package=$tool ;; esac
    command -v "$tool" >/dev/null || apt_install "$package"
  done
}

# Every benchmark script: the prerequisites, the load tools it names, and the benchmark program built
# ($bench is its path).
prepare_bench() {
  ensure_prerequisites
  ensure_bench_tools "$@"
  dotnet build eng/bench/Bench -c Release -nologo -v quiet
  bench=eng/bench/Bench/bin/Release/net10.0/Platform.Bench.dll
}
