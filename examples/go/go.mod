module flowbb-roundtrip

go 1.22

require flowbb v0.0.0

replace flowbb => ../../bindings/go
