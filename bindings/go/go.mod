module flowbb

go 1.22
