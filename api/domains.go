package api

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/osemu/osemu"
	"github.com/osemu/osemu/service"
)

// domainAPI renders domains for one API version: DomainStatus for
// 2021-01-01, ElasticsearchDomainStatus for 2015-01-01. Both APIs act on the
// same domains.
type domainAPI struct {
	legacy bool
}

// status renders a domain.
func (v domainAPI) status(d *osemu.Domain) (map[string]any, error) {
	if v.legacy {
		return elasticsearchDomainStatus(d)
	}
	return domainStatus(d)
}

// output renders {"DomainStatus": ...}.
func (v domainAPI) output(d *osemu.Domain, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	status, err := v.status(d)
	if err != nil {
		return nil, err
	}
	return map[string]any{"DomainStatus": status}, nil
}

// createInput reads a CreateDomain or CreateElasticsearchDomain request.
func (v domainAPI) createInput(c *call) (service.CreateDomainInput, error) {
	var in struct {
		DomainName           string
		EngineVersion        string
		ElasticsearchVersion string
		TagList              []osemu.Tag
	}
	if err := c.decode(&in); err != nil {
		return service.CreateDomainInput{}, err
	}

	var config json.RawMessage
	var err error
	if v.legacy {
		config, err = elasticsearchDomainConfig(c.input)
		in.EngineVersion = legacyEngineVersion(in.ElasticsearchVersion)
	} else {
		config, err = domainConfig(c.input)
	}
	if err != nil {
		return service.CreateDomainInput{}, err
	}
	return service.CreateDomainInput{
		Name:          in.DomainName,
		EngineVersion: in.EngineVersion,
		Config:        config,
		Tags:          in.TagList,
	}, nil
}

// legacyEngineVersion turns the 2015-01-01 API's ElasticsearchVersion
// ("7.10", or "OpenSearch_2.19" for OpenSearch) into an engine version.
// The legacy API's default is Elasticsearch 1.5.
func legacyEngineVersion(v string) string {
	switch {
	case v == "":
		return "Elasticsearch_1.5"
	case strings.HasPrefix(v, "OpenSearch_"):
		return v
	}
	return "Elasticsearch_" + v
}

func (v domainAPI) create(s *Server) handler {
	return func(ctx context.Context, c *call) (any, error) {
		in, err := v.createInput(c)
		if err != nil {
			return nil, err
		}
		return v.output(s.svc.CreateDomain(ctx, c.scope, in))
	}
}

func (v domainAPI) describe(s *Server) handler {
	return func(ctx context.Context, c *call) (any, error) {
		var in struct{ DomainName string }
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		return v.output(s.svc.DescribeDomain(ctx, c.scope, in.DomainName))
	}
}

func (v domainAPI) describeMany(s *Server) handler {
	return func(ctx context.Context, c *call) (any, error) {
		var in struct{ DomainNames []string }
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		ds, err := s.svc.DescribeDomains(ctx, c.scope, in.DomainNames)
		if err != nil {
			return nil, err
		}
		list := make([]map[string]any, 0, len(ds))
		for _, d := range ds {
			status, err := v.status(d)
			if err != nil {
				return nil, err
			}
			list = append(list, status)
		}
		return map[string]any{"DomainStatusList": list}, nil
	}
}

func (v domainAPI) delete(s *Server) handler {
	return func(ctx context.Context, c *call) (any, error) {
		var in struct{ DomainName string }
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		return v.output(s.svc.DeleteDomain(ctx, c.scope, in.DomainName))
	}
}

func (s *Server) listDomainNames(ctx context.Context, c *call) (any, error) {
	var in struct{ EngineType string }
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	ds, err := s.svc.ListDomainNames(ctx, c.scope, in.EngineType)
	if err != nil {
		return nil, err
	}
	type domainInfo struct {
		DomainName string `json:"DomainName"`
		EngineType string `json:"EngineType"`
	}
	list := make([]domainInfo, 0, len(ds))
	for _, d := range ds {
		list = append(list, domainInfo{DomainName: d.Name, EngineType: osemu.EngineType(d.EngineVersion)})
	}
	return map[string]any{"DomainNames": list}, nil
}

func (s *Server) addTags(ctx context.Context, c *call) (any, error) {
	var in struct {
		ARN     string
		TagList []osemu.Tag
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	return nil, s.svc.AddTags(ctx, c.scope, in.ARN, in.TagList)
}

func (s *Server) listTags(ctx context.Context, c *call) (any, error) {
	var in struct{ ARN string }
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	tags, err := s.svc.ListTags(ctx, c.scope, in.ARN)
	if err != nil {
		return nil, err
	}
	if tags == nil {
		tags = []osemu.Tag{}
	}
	return map[string]any{"TagList": tags}, nil
}

func (s *Server) removeTags(ctx context.Context, c *call) (any, error) {
	var in struct {
		ARN     string
		TagKeys []string
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	return nil, s.svc.RemoveTags(ctx, c.scope, in.ARN, in.TagKeys)
}
