#!/bin/sh
exec cargo test
