package main

// -etcd: resolve the service ("echo", the generated client's destination) through etcd with
// kitex-contrib registry-etcd's resolver instead of -addr.

import (
	"flag"

	"github.com/cloudwego/kitex/client"
	etcd "github.com/kitex-contrib/registry-etcd"
)

var etcdEndpoint = flag.String("etcd", "", "resolve the service through etcd at this endpoint (host:port) with kitex-contrib registry-etcd's resolver; -addr is then ignored")

// etcdClientOptions returns client.WithResolver for -etcd (none without it). It comes after
// WithHostPorts in the option list, so its resolver is the one used.
func etcdClientOptions() ([]client.Option, error) {
	if *etcdEndpoint == "" {
		return nil, nil
	}
	r, err := etcd.NewEtcdResolver([]string{*etcdEndpoint})
	if err != nil {
		return nil, err
	}
	return []client.Option{client.WithResolver(r)}, nil
}
