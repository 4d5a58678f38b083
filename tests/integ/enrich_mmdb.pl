#!/usr/bin/perl
# enrich_mmdb.pl DIR - writes DIR/city.mmdb and DIR/asn.mmdb, two small
# MaxMind-format databases with known IPv4 and IPv6 networks, in the
# layout of GeoLite2-City and GeoLite2-ASN (for tests/integ/enrich.sh).
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my $dir = shift or die "usage: enrich_mmdb.pl DIR\n";
my %types = (
	country => 'map', iso_code => 'utf8_string', city => 'map',
	names => 'map', en => 'utf8_string', location => 'map',
	latitude => 'double', longitude => 'double',
	autonomous_system_number => 'uint32',
	autonomous_system_organization => 'utf8_string',
);

sub write_db {
	my ($file, $type, %nets) = @_;
	my $tree = MaxMind::DB::Writer::Tree->new(
		ip_version => 6, record_size => 24, database_type => $type,
		languages => ['en'], description => { en => "netwatch test $type" },
		map_key_type_callback => sub { $types{ $_[0] } },
		remove_reserved_networks => 0,
	);
	$tree->insert_network($_, $nets{$_}) for sort keys %nets;
	open my $fh, '>:raw', $file or die "$file: $!\n";
	$tree->write_tree($fh);
	close $fh or die "$file: $!\n";
}

write_db("$dir/city.mmdb", 'Test-City',
	'81.2.69.0/24' => { country => { iso_code => 'GB' },
		city => { names => { en => 'London' } },
		location => { latitude => 51.5142, longitude => -0.0931 } },
	'2001:218::/32' => { country => { iso_code => 'JP' },
		city => { names => { en => 'Tokyo' } },
		location => { latitude => 35.685, longitude => 139.7514 } });
write_db("$dir/asn.mmdb", 'Test-ASN',
	'81.2.69.0/24' => { autonomous_system_number => 20712,
		autonomous_system_organization => 'Andrews & Arnold Ltd' },
	'2001:218::/32' => { autonomous_system_number => 2914,
		autonomous_system_organization => 'NTT America, Inc.' });
