package main

// -etcd: register this server in etcd with kitex-contrib registry-etcd, as a Kitex service in
// production does (test/interop/discovery-etcd.spec.ts reads the record it writes).

import (
	"flag"
	"fmt"
	"strings"

	"github.com/cloudwego/kitex/pkg/registry"
	"github.com/cloudwego/kitex/pkg/rpcinfo"
	"github.com/cloudwego/kitex/server"
	etcd "github.com/kitex-contrib/registry-etcd"
)

var (
	etcdEndpoint = flag.String("etcd", "", "register in etcd at this endpoint (host:port) with kitex-contrib registry-etcd (lease TTL from KITEX_ETCD_REGISTRY_LEASE_TTL, default 60 s)")
	etcdService  = flag.String("etcd-service", "echo", "with -etcd: the service name registered (the key is kitex/registry-etcd/<name>/<host:port>)")
	etcdWeight   = flag.Int("etcd-weight", 0, "with -etcd: registry.Info.Weight (0 = Kitex's default 10)")
	etcdTags     = flag.String("etcd-tags", "", "with -etcd: registry.Info.Tags as k=v,k2=v2")
)

// etcdServerOptions returns the registry options for -etcd (none without it).
func etcdServerOptions() ([]server.Option, error) {
	if *etcdEndpoint == "" {
		return nil, nil
	}
	r, err := etcd.NewEtcdRegistry([]string{*etcdEndpoint})
	if err != nil {
		return nil, err
	}
	var tags map[string]string
	if *etcdTags != "" {
		tags = map[string]string{}
		for _, kv := range strings.Split(*etcdTags, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return nil, fmt.Errorf("-etcd-tags: %q is not k=v", kv)
			}
			tags[k] = v
		}
	}
	info := &registry.Info{ServiceName: *etcdService, Weight: *etcdWeight, Tags: tags}
	return []server.Option{
		server.WithRegistry(r),
		server.WithRegistryInfo(info),
		server.WithServerBasicInfo(&rpcinfo.EndpointBasicInfo{ServiceName: *etcdService}),
	}, nil
}
