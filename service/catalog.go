package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/osemu/osemu"
)

// awsPlugin is one of AWS's optional plugins, offered as a G package per
// engine version.
type awsPlugin struct {
	name, description, className string
}

// awsPlugins are the optional language-analysis plugins AWS offers for
// OpenSearch 1.3 and later.
//
// AWS: the list, descriptions and class names follow AWS's documentation
// of optional plugins; the G package IDs are osemu's own, stable across
// restarts (real IDs differ per region).
var awsPlugins = []awsPlugin{
	{"analysis-nori", "Korean (nori) analysis plugin.",
		"org.opensearch.analysis.nori.AnalysisNoriPlugin"},
	{"analysis-sudachi", "Japanese (Sudachi) analysis plugin.",
		"com.worksap.nlp.elasticsearch.sudachi.plugin.AnalysisSudachiPlugin"},
	{"analysis-pinyin", "Chinese Pinyin analysis plugin.",
		"org.elasticsearch.plugin.analysis.pinyin.AnalysisPinyinPlugin"},
	{"analysis-stconvert", "Simplified and traditional Chinese conversion plugin.",
		"org.elasticsearch.plugin.analysis.stconvert.AnalysisSTConvertPlugin"},
}

// awsCatalogTime is when the catalog's packages say they were created.
var awsCatalogTime = time.Date(2023, 10, 17, 0, 0, 0, 0, time.UTC)

// awsPackageID returns the G package ID of plugin i for engine version j.
func awsPackageID(i, j int) string { return fmt.Sprintf("G%d", 1_000_000_000+(i+1)*10_000+j) }

// SeedAWSPackages adds the catalog of AWS-owned optional plugins, one
// package per plugin and engine version from OpenSearch 1.3 on, which
// every account of every region sees and can associate but not change.
// Packages already there are left alone, so every start may call it.
func (s *Service) SeedAWSPackages(ctx context.Context) (int, error) {
	var engines []string
	for _, v := range osemu.EngineVersions {
		if strings.HasPrefix(v, "OpenSearch_") && v != "OpenSearch_1.0" &&
			v != "OpenSearch_1.1" && v != "OpenSearch_1.2" {
			engines = append(engines, v)
		}
	}

	// The catalog ships no content: the version rows point at one empty
	// blob.
	var empty *osemu.BlobRef
	added := 0
	for i, plugin := range awsPlugins {
		for j, engine := range engines {
			id := awsPackageID(i, j)
			exists := false
			err := s.view(ctx, func(tx osemu.Tx) error {
				_, err := tx.GetPackage(id)
				exists = err == nil
				if errors.Is(err, osemu.ErrNotFound) {
					return nil
				}
				return err
			})
			if err != nil {
				return added, err
			}
			if exists {
				continue
			}

			if empty == nil {
				ref, err := s.store.WriteBlob(ctx, strings.NewReader(""))
				if err != nil {
					return added, fmt.Errorf("write catalog content: %w", err)
				}
				empty = &ref
			}
			version := strings.TrimPrefix(engine, "OpenSearch_") + ".0"
			props := &osemu.PluginProperties{
				Name:                    plugin.name,
				Description:             plugin.description,
				Version:                 version,
				ClassName:               plugin.className,
				UncompressedSizeInBytes: new(int64(0)),
			}
			p := &osemu.Package{
				ID:               id,
				Scope:            osemu.Scope{Account: osemu.AWSOwner},
				Name:             plugin.name,
				Type:             osemu.PackageTypeZipPlugin,
				Description:      plugin.description,
				Status:           osemu.PackageAvailable,
				EngineVersion:    engine,
				Version:          1,
				PluginProperties: props,
				CreatedAt:        awsCatalogTime,
				UpdatedAt:        awsCatalogTime,
			}
			err = s.update(ctx, func(tx osemu.Tx, _ *scheduler) error {
				if err := tx.InsertPackage(p); err != nil {
					return err
				}
				return tx.InsertPackageVersion(&osemu.PackageVersion{
					PackageID:        id,
					Version:          1,
					CreatedAt:        awsCatalogTime,
					Blob:             *empty,
					PluginProperties: props,
				})
			})
			if errors.Is(err, osemu.ErrExists) {
				// Another replica seeded it meanwhile.
				continue
			}
			if err != nil {
				return added, fmt.Errorf("seed %s: %w", id, err)
			}
			added++
		}
	}
	if added > 0 {
		s.log.Info("aws packages seeded", "packages", added)
	}
	return added, nil
}
