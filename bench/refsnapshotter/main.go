// Command refsnapshotter serves the reference stargz snapshotter to containerd as a proxy snapshotter on a unix
// socket, built from Debian's golang-github-containerd-stargz-snapshotter-dev 0.12 library (the filesystem and
// snapshotter containerd-stargz-grpc runs). Debian's stargz-snapshotter package ships only ctr-remote, not the
// daemon, and the library's service package needs the CRI API, which Debian does not package; so this wires the
// same pieces as service.NewStargzSnapshotterService without the CRI-label source and keychains (the benchmark's
// registry needs no credentials). Registries on loopback are reached over plain HTTP, as in the reference.
//
//	refsnapshotter -address SOCK -root DIR [-config config.toml] [-log-level info]
//
// The config file takes containerd-stargz-grpc's filesystem keys (fs/config.Config). It exits on SIGINT or
// SIGTERM after closing the snapshotter.
package main

import (
	"context"
	"flag"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	snapshotsapi "github.com/containerd/containerd/api/services/snapshots/v1"
	"github.com/containerd/containerd/contrib/snapshotservice"
	"github.com/containerd/containerd/log"
	"github.com/containerd/containerd/reference"
	"github.com/containerd/containerd/remotes/docker"
	"github.com/containerd/containerd/snapshots"
	"github.com/containerd/containerd/snapshots/overlay/overlayutils"
	stargzfs "github.com/containerd/stargz-snapshotter/fs"
	fsconfig "github.com/containerd/stargz-snapshotter/fs/config"
	"github.com/containerd/stargz-snapshotter/fs/layer"
	"github.com/containerd/stargz-snapshotter/fs/source"
	snbase "github.com/containerd/stargz-snapshotter/snapshot"
	rhttp "github.com/hashicorp/go-retryablehttp"
	"github.com/pelletier/go-toml"
	"github.com/sirupsen/logrus"
	"google.golang.org/grpc"
)

// requestTimeout is the reference resolver's default per-request timeout.
const requestTimeout = 30 * time.Second

func main() {
	address := flag.String("address", "/run/containerd-stargz-grpc/containerd-stargz-grpc.sock", "unix socket to serve on")
	root := flag.String("root", "/var/lib/containerd-stargz-grpc", "root directory")
	configPath := flag.String("config", "", "config.toml with fs/config.Config keys; empty means defaults")
	logLevel := flag.String("log-level", "info", "trace, debug, info, warn or error")
	flag.Parse()

	lvl, err := logrus.ParseLevel(*logLevel)
	if err != nil {
		logrus.WithError(err).Fatal("bad -log-level")
	}
	logrus.SetLevel(lvl)
	ctx := log.WithLogger(context.Background(), log.L)

	var config fsconfig.Config
	if *configPath != "" {
		data, err := os.ReadFile(*configPath)
		if err == nil {
			err = toml.Unmarshal(data, &config)
		}
		if err != nil {
			log.G(ctx).WithError(err).Fatalf("cannot load config %q", *configPath)
		}
	}
	rs, err := newSnapshotter(ctx, *root, config)
	if err != nil {
		log.G(ctx).WithError(err).Fatal("cannot create the snapshotter")
	}

	rpc := grpc.NewServer()
	snapshotsapi.RegisterSnapshotsServer(rpc, snapshotservice.FromSnapshotter(rs))
	if err := os.MkdirAll(filepath.Dir(*address), 0o700); err != nil {
		log.G(ctx).WithError(err).Fatalf("cannot create the socket directory for %q", *address)
	}
	if err := os.RemoveAll(*address); err != nil {
		log.G(ctx).WithError(err).Fatalf("cannot remove the stale socket %q", *address)
	}
	l, err := net.Listen("unix", *address)
	if err != nil {
		log.G(ctx).WithError(err).Fatalf("cannot listen on %q", *address)
	}
	go func() {
		if err := rpc.Serve(l); err != nil {
			log.G(ctx).WithError(err).Fatalf("serving on %q failed", *address)
		}
	}()
	log.G(ctx).Infof("reference stargz snapshotter serving on %s, root %s", *address, *root)

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	<-signals
	rpc.Stop()
	if err := rs.Close(); err != nil {
		log.G(ctx).WithError(err).Warn("closing the snapshotter failed")
	}
}

// newSnapshotter is service.NewStargzSnapshotterService with only the default-label source.
func newSnapshotter(ctx context.Context, root string, config fsconfig.Config) (snapshots.Snapshotter, error) {
	snRoot := filepath.Join(root, "snapshotter")
	if err := os.MkdirAll(snRoot, 0o700); err != nil {
		return nil, err
	}
	opaque := layer.OverlayOpaqueTrusted
	if userxattr, err := overlayutils.NeedsUserXAttr(snRoot); err == nil && userxattr {
		opaque = layer.OverlayOpaqueUser
	}
	fs, err := stargzfs.NewFilesystem(filepath.Join(root, "stargz"), config,
		stargzfs.WithGetSources(source.FromDefaultLabels(registryHosts)),
		stargzfs.WithOverlayOpaqueType(opaque))
	if err != nil {
		return nil, err
	}
	return snbase.NewSnapshotter(ctx, snRoot, fs, snbase.AsynchronousRemove)
}

// registryHosts reaches the image's own registry (no mirrors, no credentials), over plain HTTP on loopback,
// with the reference resolver's retrying HTTP client and timeout.
func registryHosts(ref reference.Spec) ([]docker.RegistryHost, error) {
	client := rhttp.NewClient()
	client.Logger = nil
	hc := client.StandardClient()
	hc.Timeout = requestTimeout
	host := docker.RegistryHost{
		Client:       hc,
		Host:         ref.Hostname(),
		Scheme:       "https",
		Path:         "/v2",
		Capabilities: docker.HostCapabilityPull | docker.HostCapabilityResolve,
		Authorizer:   docker.NewDockerAuthorizer(docker.WithAuthClient(hc)),
	}
	if localhost, _ := docker.MatchLocalhost(host.Host); localhost {
		host.Scheme = "http"
	}
	return []docker.RegistryHost{host}, nil
}
