module example.invalid/zgo

go 1.19
