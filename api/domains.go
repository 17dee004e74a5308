package api

import (
	"context"

	"github.com/osemu/osemu"
	"github.com/osemu/osemu/service"
)

func (s *Server) createDomain(ctx context.Context, c *call) (any, error) {
	var in struct {
		DomainName    string
		EngineVersion string
		TagList       []osemu.Tag
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	config, err := domainConfig(c.input)
	if err != nil {
		return nil, err
	}

	d, err := s.svc.CreateDomain(ctx, c.scope, service.CreateDomainInput{
		Name:          in.DomainName,
		EngineVersion: in.EngineVersion,
		Config:        config,
		Tags:          in.TagList,
	})
	if err != nil {
		return nil, err
	}
	return domainStatusOutput(d)
}

// domainStatusOutput renders {"DomainStatus": ...}.
func domainStatusOutput(d *osemu.Domain) (any, error) {
	status, err := domainStatus(d)
	if err != nil {
		return nil, err
	}
	return map[string]any{"DomainStatus": status}, nil
}

func (s *Server) describeDomain(ctx context.Context, c *call) (any, error) {
	var in struct{ DomainName string }
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	d, err := s.svc.DescribeDomain(ctx, c.scope, in.DomainName)
	if err != nil {
		return nil, err
	}
	return domainStatusOutput(d)
}

func (s *Server) describeDomains(ctx context.Context, c *call) (any, error) {
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
		status, err := domainStatus(d)
		if err != nil {
			return nil, err
		}
		list = append(list, status)
	}
	return map[string]any{"DomainStatusList": list}, nil
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

func (s *Server) deleteDomain(ctx context.Context, c *call) (any, error) {
	var in struct{ DomainName string }
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	d, err := s.svc.DeleteDomain(ctx, c.scope, in.DomainName)
	if err != nil {
		return nil, err
	}
	return domainStatusOutput(d)
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
