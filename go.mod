module github.com/osemu/osemu

go 1.26.8
